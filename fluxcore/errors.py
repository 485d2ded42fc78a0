"""Errors raised by fluxcore. Every message is in French: pages and the CLI show it as is."""


class FluxcoreError(Exception):
    """Base class: a problem the user can understand and act on."""


class DatabaseLockedError(FluxcoreError):
    """Another process holds the DuckDB file open for writing."""


class DatabaseError(FluxcoreError):
    """The database file is missing, unreadable or of an unknown schema."""


class EcritureConcurrenteError(DatabaseError):
    """A write checked without the lock found, at its commit, that another write was
    committed meanwhile: nothing was written; do it again under the lock."""


class ParametreError(FluxcoreError):
    """An unknown setting, or a value of the wrong type."""


class BilanError(FluxcoreError):
    """The bilan cannot be produced (year not started, unknown recipient)."""


class CotationError(FluxcoreError):
    """A grid that cannot be saved, an unknown demande or dwelling."""


class CorrespondanceError(FluxcoreError):
    """A column mapping that cannot be read, is invalid, or is unknown."""

    def __init__(self, message: str, erreurs: list[str] | None = None):
        super().__init__(message)
        self.erreurs = erreurs or [message]


class MemoireInsuffisanteError(FluxcoreError):
    """The machine ran out of memory during a heavy task (an import): the input is not at
    fault; nothing was written."""


def memoire_epuisee(exc: BaseException) -> bool:
    """Whether `exc` is Python's or DuckDB's out-of-memory error."""
    import duckdb

    return isinstance(exc, (MemoryError, duckdb.OutOfMemoryException))


def memoire_insuffisante(nom: str, exc: BaseException) -> MemoireInsuffisanteError:
    """The French error for an import of `nom` stopped by lack of memory."""
    return MemoireInsuffisanteError(
        f"Mémoire insuffisante pendant l'import de « {nom} » : le fichier n'est pas en cause "
        "et la base n'a pas été modifiée. Relancez l'import quand le serveur est moins "
        f"chargé, ou découpez le fichier ({type(exc).__name__}).")
