-- Shared CTE (included as {{ objectifs/baux }}): the leases signed in the period, with what
-- the CIL indicators need. $debut, $arret, $annee (threshold year), $epci, $dep (NULL = all).
-- q1: attribution.quartile = 1 when given, else ressources_uc below the EPCI's threshold of the
-- year; NULL when neither is known (counted in the base, in no numerator).
baux as (
    select r.epci_siren, r.commune_insee, r.residence_id, r.nom as residence, r.en_qpv,
           att.date_bail, att.relogement, att.prioritaire or att.dalo as prioritaire,
           coalesce(att.quartile = 1, att.ressources_uc < s.seuil_q1_uc) as q1,
           o.destinataire
    from attribution att
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join orientation o using (orientation_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren and s.annee = $annee
    where att.date_bail between $debut and $arret
      and r.epci_siren is not null
      and ($epci is null or r.epci_siren = $epci)
      and ($dep is null or r.departement = $dep)
)
