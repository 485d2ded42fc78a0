-- Expression, included as `{{ regles/q1_hors_qpv }} as q1_ou_reloge` (aliases att =
-- attribution, s = the seuil_quartile row of the dwelling's EPCI for the year): the lease
-- counts towards the 25 % of attributions outside QPV (L441-1, docs/regles.md#q1): a first-quartile
-- household ({{ regles/menage_q1 }}) or one rehoused by urban renewal or an ORCOD
-- (codes.RELOGEMENTS_Q1). NULL when the quartile is unknown and it is no such relogement.
({{ regles/menage_q1 }} or att.relogement in {{ codes/relogements_q1 }})
