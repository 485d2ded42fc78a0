-- Training and prediction rows of the vacancy model of a département: one row per flux
-- dwelling and year in service on 1 January, for the $nb years before $annee (libere = an
-- observed libération that year, the assiette engine's predicate) and for $annee itself
-- (libere NULL: the year to forecast).
-- $dep, $annee, $nb. Returns: logement_id, residence_id, commune_insee, epci_siren,
--   typologie, en_qpv, financement, surface_m2, loyer_mensuel, annee_construction,
--   annee_service, annee, libere.
with log as (
    select l.logement_id, l.residence_id, r.commune_insee, r.epci_siren, l.typologie,
           r.en_qpv, l.financement, l.surface_m2, l.loyer_mensuel, r.annee_construction,
           year(l.date_mise_en_service) as annee_service, l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
),
annees as (
    select unnest(range($annee - $nb, $annee + 1)) as annee
),
expo as (
    select log.*, a.annee
    from log cross join annees a
    where {{ regles/premiere_annee_au_parc }} <= a.annee
),
libs as (
    select distinct b.logement_id, year(b.date_liberation) as annee
    from liberation b
    join log using (logement_id)
    where {{ assiette/liberation_observee }}
),
final as (
    select e.logement_id, e.residence_id, e.commune_insee, e.epci_siren, e.typologie,
           e.en_qpv, e.financement, e.surface_m2, e.loyer_mensuel, e.annee_construction,
           e.annee_service, e.annee,
           case when e.annee < $annee then libs.logement_id is not null end as libere
    from expo e
    left join libs using (logement_id, annee)
)
select * from final
order by annee, logement_id
