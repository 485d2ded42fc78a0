-- Shared CTEs (included as {{ objectifs/baux }}): the leases signed in the period, with what
-- the objectives need. $debut, $arret, $annee (threshold year), $epci, $dep (NULL = all).
-- baux_periode: every lease of the period in the département(s) $dep, with or without EPCI
--   (a convention covers all the bailleur's dwellings of its département);
-- baux: those of the EPCI(s) of the scope (the CIL indicators).
-- q1: attribution.quartile = 1 when given, else ressources_uc below the EPCI's threshold of the
-- year; NULL when neither is known (counted in the base, in no numerator).
-- mutation: an internal mutation (attribution.mutation_interne, or a dwelling oriented to
--   MUTATION): outside every réservataire's and the bailleur's prioritaires base (R441-5 I:
--   subtracted from the flux before it is shared), counted apart.
-- titulaire: whose attribution it is for the prioritaires objective (L441-1): the orientation's
--   destination, the bailleur when the réservataire gave the dwelling back (RENDU_BAILLEUR:
--   « l'attribution à un candidat présenté par le réservataire a échoué »), NULL without
--   orientation.
baux_periode as (
    select r.departement, r.epci_siren, r.commune_insee, r.residence_id, r.nom as residence,
           r.en_qpv, att.date_bail, att.relogement,
           att.prioritaire or att.dalo as prioritaire,
           coalesce(att.quartile = 1, att.ressources_uc < s.seuil_q1_uc) as q1,
           o.destinataire,
           case when o.statut = 'RENDU_BAILLEUR' then 'BAILLEUR' else o.destinataire end
               as titulaire,
           att.mutation_interne or coalesce(o.destinataire = 'MUTATION', false) as mutation
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
