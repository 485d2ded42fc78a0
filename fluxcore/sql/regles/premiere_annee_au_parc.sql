-- Expression, included as `{{ regles/premiere_annee_au_parc }} <= <year>` (the one column
-- date_mise_en_service in scope, a dwelling's): the first year whose parc holds the dwelling,
-- i.e. in service on 1 January (no date: always). The parc of year Y and the exposure of the
-- observed rotation ({{ regles/annees_observees }}) both read it.
year(coalesce(date_mise_en_service, date '1900-01-01')) + 1
