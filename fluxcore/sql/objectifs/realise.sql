-- CIL indicators achieved in an EPCI for a year (signed leases of the year up to $arret).
-- $epci, $annee, $arret. Quartile: attribution.quartile, else ressources_uc against the
-- EPCI's first-quartile threshold of the year.
-- Returns one row: baux_hors_qpv, q1_ou_reloges_hors_qpv, baux_qpv, q234_qpv.
with a as (
    select r.en_qpv, att.relogement,
           coalesce(att.quartile = 1, att.ressources_uc < s.seuil_q1_uc) as q1
    from attribution att
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren and s.annee = $annee
    where r.epci_siren = $epci
      and att.date_bail between make_date($annee, 1, 1) and $arret
),
final as (
    select count(*) filter (where not en_qpv) as baux_hors_qpv,
           count(*) filter (where not en_qpv and (q1 or relogement in ('RU', 'ORCOD')))
               as q1_ou_reloges_hors_qpv,
           count(*) filter (where en_qpv) as baux_qpv,
           count(*) filter (where en_qpv and q1 = false) as q234_qpv
    from a
)
select * from final
