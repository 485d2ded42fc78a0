-- Shared CTEs (included as {{ objectifs/baux }}): the leases signed in the period, with what
-- the objectives need. $debut, $arret, $annee (threshold year), $epci, $dep (NULL = all).
-- baux_periode: every lease of the period in the département(s) $dep, with or without EPCI
--   (a convention covers all the bailleur's dwellings of its département);
-- baux: those of the EPCI(s) of the scope (the CIL indicators).
-- q1: {{ regles/menage_q1 }} with the EPCI's threshold of year $annee; NULL when unknown
--   (counted in the base, in no numerator). q1_ou_reloge: the lease counts towards the Q1
--   hors QPV objective ({{ regles/q1_hors_qpv }}: Q1 or relogé RU/ORCOD).
-- mutation: an internal mutation ({{ regles/mutation_interne }}): outside every
--   réservataire's and the bailleur's prioritaires base (R441-5 I: subtracted from the flux
--   before it is shared), counted apart.
-- titulaire: whose attribution it is for the prioritaires objective (L441-1): the orientation's
--   destination, the bailleur when the réservataire gave the dwelling back (RENDU_BAILLEUR:
--   « l'attribution à un candidat présenté par le réservataire a échoué »), NULL without
--   orientation.
baux_periode as (
    select r.departement, r.epci_siren, r.commune_insee, r.residence_id, r.nom as residence,
           r.en_qpv, att.date_bail, att.relogement,
           att.prioritaire or att.dalo as prioritaire,
           {{ regles/menage_q1 }} as q1,
           {{ regles/q1_hors_qpv }} as q1_ou_reloge,
           o.destinataire,
           case when o.statut = 'RENDU_BAILLEUR' then 'BAILLEUR' else o.destinataire end
               as titulaire,
           {{ regles/mutation_interne }} as mutation
    from attribution att
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join orientation o using (orientation_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren and s.annee = $annee
    where att.date_bail between $debut and $arret
      and ($dep is null or r.departement = $dep)
),
baux as (
    select * from baux_periode
    where epci_siren is not null
      and ($epci is null or epci_siren = $epci)
)
