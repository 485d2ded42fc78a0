-- Dérogations taken over from the legacy column convention.derogation_fin (an end date
-- only, before the table derogation): one arrêté of one year ending that day, in the
-- convention's département, at the préfet's total rate in force that year (its
-- département-wide conventions, prioritaires + agents; the convention's own rate if none),
-- capped at 100 %. Same rule as migration 006. Existing dérogations are kept.
-- No parameter. Returns: derogation_id, departement, arrete, date_debut, date_fin, taux_max.
with legacy as (
    select c.convention_id, c.departement, c.derogation_fin, c.taux_flux
    from convention c
    join reservataire r using (reservataire_id)
    where c.derogation_fin is not null and r.type in {{ codes/types_prefet }}
),
final as (
    select 'DEROG-' || l.convention_id as derogation_id, l.departement,
           'Dérogation reprise de la convention ' || l.convention_id || ' (taux à vérifier)'
               as arrete,
           cast(l.derogation_fin - interval 1 year + interval 1 day as date) as date_debut,
           l.derogation_fin as date_fin,
           least(100, coalesce((
               select sum(p.taux_flux)
               from convention p
               join reservataire pr using (reservataire_id)
               where p.departement = l.departement and p.perimetre is null
                 and pr.type in {{ codes/types_prefet }}
                 and year(l.derogation_fin) between p.annee_debut and p.annee_fin),
               l.taux_flux)) as taux_max
    from legacy l
    where not exists (select 1 from derogation d
                      where d.derogation_id = 'DEROG-' || l.convention_id)
)
select * from final order by derogation_id
