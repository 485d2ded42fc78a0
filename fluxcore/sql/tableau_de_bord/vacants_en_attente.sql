-- Vacated dwellings with no orientation yet, as of $aujourdhui, oldest first.
-- $aujourdhui, $dep, $epci. Dwellings only: no household data.
-- Returns: liberation_id, logement_id, typologie, financement, residence, commune, en_qpv,
--   hors_flux, date_liberation, jours_attente.
with final as (
    select
        b.liberation_id,
        b.logement_id,
        l.typologie,
        l.financement,
        r.nom as residence,
        coalesce(c.nom, r.commune_insee) as commune,
        r.en_qpv,
        l.hors_flux_motif is not null as hors_flux,
        b.date_liberation,
        datediff('day', b.date_liberation, $aujourdhui) as jours_attente
    from liberation b
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join ref_commune c on c.code_insee = r.commune_insee
    where b.date_liberation <= $aujourdhui
      and not exists (select 1 from orientation o where o.liberation_id = b.liberation_id)
      and ($dep is null or r.departement = $dep)
      and ($epci is null or r.epci_siren = $epci)
)
select * from final order by jours_attente desc, liberation_id
