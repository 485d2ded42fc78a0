-- Month by month, for one réservataire: flux entered on its perimeters on the days of its
-- rights × the rate of each line (owed) and dwellings delivered to it (`livre`, the same as its
-- gauge). Parameters: those of {{ jauges/lignes }} plus $reservataire.
-- Returns: mois, du (owed that month), orientes.
with {{ jauges/lignes }},
mois as (select unnest(range(1, 13)) as mois),
d as (
    select month(date_liberation) as mois, sum(taux_flux / 100.0) as du
    from cl where reservataire_id = $reservataire group by all
),
o as (
    select month(date_liberation) as mois, count(*) as orientes
    from livre where destinataire = $reservataire group by all
),
final as (
    select mois.mois, coalesce(d.du, 0) as du, coalesce(o.orientes, 0) as orientes
    from mois
    left join d using (mois)
    left join o using (mois)
    where make_date($annee, mois.mois, 1) <= $arret
)
select * from final order by mois
