-- Publics prioritaires (DALO or L441-1 priority) per whose attribution it is, département and
-- EPCI, for the leases of the period in every département of the scope: the whole département
-- even when the scope is one EPCI, since the objective is judged over each réservataire's
-- convention (one per bailleur × réservataire × département). $annee, $debut, $arret, $epci,
-- $dep.
-- Returns: departement, epci_siren (NULL: résidence outside any EPCI), destinataire
--   (titulaire of {{ objectifs/baux }}; NULL = no orientation recorded), nom, type, baux (the
--   base: internal mutations left out), prioritaires (among them), mutations (left out).
with {{ objectifs/baux }},
deps as (
    select distinct departement
    from residence
    where ($epci is null or epci_siren = $epci)
      and ($dep is null or departement = $dep)
),
final as (
    select b.departement, b.epci_siren, b.titulaire as destinataire, r.nom, r.type,
           count(*) filter (where not b.mutation) as baux,
           count(*) filter (where b.prioritaire and not b.mutation) as prioritaires,
           count(*) filter (where b.mutation) as mutations
    from baux_periode b
    left join reservataire r on r.reservataire_id = b.titulaire
    where b.departement in (select departement from deps)
    group by all
)
select * from final order by departement, epci_siren, baux desc, destinataire
