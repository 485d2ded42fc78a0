-- Vacated dwellings with no orientation yet, as of $aujourdhui, oldest first.
-- $aujourdhui, $dep, $epci. Dwellings only: no household data.
-- Returns: liberation_id, logement_id, typologie, financement, residence, commune, en_qpv,
--   hors_flux, date_liberation, jours_attente.
with final as (
    select
        b.liberation_id,
        b.logement_id,
        b.typologie,
        b.financement,
        r.nom as residence,
        coalesce(c.nom, b.commune_insee) as commune,
        b.en_qpv,
        b.hors_flux_motif is not null as hors_flux,
        b.date_liberation,
        datediff('day', b.date_liberation, $aujourdhui) as jours_attente
    from fait_liberation b          -- maintained (fluxcore.etat): no orientation at all
    join residence r using (residence_id)
    left join ref_commune c on c.code_insee = b.commune_insee
    where b.date_liberation <= $aujourdhui
      and b.orientation_id is null
      and ($dep is null or b.departement = $dep)
      and ($epci is null or b.epci_siren = $epci)
)
select * from final order by jours_attente desc, liberation_id
