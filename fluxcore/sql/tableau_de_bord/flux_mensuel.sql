-- Month by month in the year: libérations, orientations, signed leases (flux dwellings).
-- $annee, $arret, $dep, $epci. Months after $arret are absent.
-- Returns: mois (1-12), liberations, orientations, baux_signes.
with log as (
    select l.logement_id
    from logement l
    join residence r using (residence_id)
    where l.hors_flux_motif is null
      and ($dep is null or r.departement = $dep)
      and ($epci is null or r.epci_siren = $epci)
),
lib as (
    select liberation_id, date_liberation
    from fait_liberation
    where hors_flux_motif is null
      and ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
),
mois as (
    select unnest(range(1, 13)) as mois
),
l as (
    select month(date_liberation) as mois, count(*) as n from lib
    where year(date_liberation) = $annee and date_liberation <= $arret group by 1
),
o as (
    select month(o.date_orientation) as mois, count(*) as n
    from orientation o join lib using (liberation_id)
    where year(o.date_orientation) = $annee and o.date_orientation <= $arret group by 1
),
a as (
    select month(a.date_bail) as mois, count(*) as n
    from attribution a join log using (logement_id)
    where year(a.date_bail) = $annee and a.date_bail <= $arret group by 1
),
final as (
    select mois.mois, coalesce(l.n, 0) as liberations, coalesce(o.n, 0) as orientations,
           coalesce(a.n, 0) as baux_signes
    from mois
    left join l using (mois)
    left join o using (mois)
    left join a using (mois)
    where make_date($annee, mois.mois, 1) <= $arret
)
select * from final order by mois
