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


class ReglageError(FluxcoreError):
    """A server setting (environment variable FLUX_…) that cannot be read."""


class MemoireInsuffisanteError(FluxcoreError):
    """The machine, or the bound set by FLUX_MEMOIRE / the room left in FLUX_TEMP, ran out
    during a heavy task (an import, a recalculation, a bilan…): the input is not at fault;
    nothing was written."""


def memoire_epuisee(exc: BaseException) -> bool:
    """Whether `exc` is Python's or DuckDB's out-of-memory error, or the disk of DuckDB's
    temporary folder (where it spills what does not fit in memory) being full."""
    import duckdb

    if isinstance(exc, (MemoryError, duckdb.OutOfMemoryException)):
        return True
    return isinstance(exc, duckdb.IOException) and _disque_plein(str(exc))


def _disque_plein(text: str) -> bool:
    low = text.lower()
    return "no space left on device" in low or "max_temp_directory_size" in low


CONSEIL_MEMOIRE = ("augmentez la mémoire permise à DuckDB (variable FLUX_MEMOIRE, ex. 4GB) ou "
                   "libérez de la mémoire sur le serveur")
CONSEIL_DISQUE = ("libérez de la place sur le disque du dossier temporaire (variable FLUX_TEMP) "
                  "ou relevez sa taille permise (FLUX_TEMP_MAX)")


def _conseil(exc: BaseException) -> str:
    return CONSEIL_DISQUE if _disque_plein(str(exc)) else CONSEIL_MEMOIRE


def memoire_insuffisante(nom: str, exc: BaseException) -> MemoireInsuffisanteError:
    """The French error for an import of `nom` stopped by lack of memory."""
    return MemoireInsuffisanteError(
        f"Mémoire insuffisante pendant l'import de « {nom} » : le fichier n'est pas en cause "
        f"et la base n'a pas été modifiée. {_conseil(exc)[0].upper()}{_conseil(exc)[1:]}, "
        "puis relancez "
        f"l'import ; ou découpez le fichier ({type(exc).__name__}).")


def memoire_insuffisante_pour(operation: str, exc: BaseException,
                              ecriture: bool = True) -> MemoireInsuffisanteError:
    """The French error for `operation` (« l'écriture « importer » », « cette lecture »…)
    stopped by lack of memory or of room in the temporary folder; `ecriture`: a write that
    was rolled back (« rien n'a été écrit »)."""
    fin = " ; rien n'a été écrit" if ecriture else ""
    return MemoireInsuffisanteError(
        f"Mémoire insuffisante pour {operation} : {_conseil(exc)}, puis relancez{fin} "
        f"({type(exc).__name__}).")
