-- Household profile of each destination over the last 24 months in a département: share of
-- first-quartile households (quartile given, else resources per UC under the EPCI threshold).
-- $dep, $aujourdhui. Returns: destinataire, attributions, q1.
with a as (
    select o.destinataire,
           coalesce(att.quartile = 1, att.ressources_uc < s.seuil_q1_uc, false) as q1
    from attribution att
    join orientation o using (orientation_id)
    join logement l on l.logement_id = att.logement_id
    join residence r using (residence_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren
         and s.annee = year(coalesce(att.date_caleol, o.date_orientation))
    where r.departement = $dep
      and coalesce(att.date_caleol, o.date_orientation) > $aujourdhui - interval 730 day
      and coalesce(att.date_caleol, o.date_orientation) <= $aujourdhui
),
final as (
    select destinataire, count(*) as attributions, count(*) filter (where q1) as q1
    from a group by all
)
select * from final order by destinataire
