-- Month by month, for one réservataire: flux entered on its perimeters × its rate (owed)
-- and dwellings oriented to it. Parameters: those of {{ jauges/lignes }} plus $reservataire.
-- Returns: mois, du (owed that month), orientes.
with {{ jauges/lignes }},
mois as (select unnest(range(1, 13)) as mois),
m as (
    select month(date_liberation) as mois,
           sum(taux_flux / 100.0) as du,
           count(*) filter (where destinataire = reservataire_id) as orientes
    from cl where reservataire_id = $reservataire group by all
),
final as (
    select mois.mois, coalesce(m.du, 0) as du, coalesce(m.orientes, 0) as orientes
    from mois left join m using (mois)
    where make_date($annee, mois.mois, 1) <= $arret
)
select * from final order by mois
