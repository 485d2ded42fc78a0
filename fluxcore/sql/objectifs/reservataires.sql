-- Publics prioritaires per destination of the EPCI's leases of the period (DALO or L441-1
-- priority). $annee, $debut, $arret, $epci, $dep.
-- Returns: epci_siren, destinataire (NULL = lease without recorded orientation), nom, type,
--   baux, prioritaires.
with {{ objectifs/baux }},
final as (
    select b.epci_siren, b.destinataire, r.nom, r.type, count(*) as baux,
           count(*) filter (where b.prioritaire) as prioritaires
    from baux b
    left join reservataire r on r.reservataire_id = b.destinataire
    group by all
)
select * from final order by epci_siren, baux desc, destinataire
