-- Training and prediction rows of the vacancy model of a département: one row per flux
-- dwelling and year in service on 1 January, for the $nb years before $annee (libere = an
-- observed libération that year, the assiette engine's predicate) and for $annee itself
-- (libere NULL: the year to forecast). Reads {{ simulation/historique_sources }} only.
-- $dep, $annee, $nb. Returns: logement_id, residence_id, commune_insee, epci_siren,
--   typologie, en_qpv, financement, surface_m2, loyer_mensuel, annee_construction,
--   annee_service, annee, libere.
with {{ simulation/historique_sources }},
annees as (
    select unnest(range($annee - $nb, $annee + 1)) as annee
),
expo as (
    select log.*, a.annee
    from log cross join annees a
    where {{ regles/premiere_annee_au_parc }} <= a.annee
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
