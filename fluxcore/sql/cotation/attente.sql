-- Observed waiting time: complete months from filing to attribution of the demandes
-- satisfied in the $mois months up to $date, at three levels of comparison (grouping sets):
-- niveau 'commune' (commune wished + typologie), 'epci' (EPCI + typologie), 'typologie'
-- (typologie over the whole base); those of typologie $typologie only unless NULL (every
-- level is per typologie). Columns: niveau, commune_souhaitee, epci_siren,
-- typologie_souhaitee, nb (demandes satisfied), mediane_mois.
select case when grouping(commune_souhaitee) = 0 then 'commune'
            when grouping(epci_siren) = 0 then 'epci' else 'typologie' end as niveau,
       commune_souhaitee, epci_siren, typologie_souhaitee, count(*) as nb,
       median(mois) as mediane_mois
from (
    select d.commune_souhaitee, c.epci_siren, d.typologie_souhaitee,
           date_sub('month', d.date_depot, d.date_radiation) as mois
    from demande d
    left join ref_commune c on c.code_insee = d.commune_souhaitee
    where d.statut = 'ATTRIBUEE' and d.date_radiation is not null
      and d.date_radiation <= $date
      and d.date_radiation > $date::date - to_months($mois::integer)
      and d.typologie_souhaitee is not null
      and ($typologie is null or d.typologie_souhaitee = $typologie)
)
group by grouping sets ((commune_souhaitee, epci_siren, typologie_souhaitee),
                        (epci_siren, typologie_souhaitee), (typologie_souhaitee))
