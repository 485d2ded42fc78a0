-- Annual statistics on reservations (arrêté du 28 novembre 2011,
-- docs/regles.md#statistiques), per département and destination of the dwellings of the flux.
-- Parameters: those of
-- {{ jauges/lignes }} (year $annee, period $debut to $arret, whole patrimoine or a territory).
-- Returns: departement, destinataire (réservataire id, BAILLEUR, a subtracted use, NULL = an
--   attribution without recorded orientation), type (of the réservataire, NULL otherwise),
--   mis_a_disposition (libérations of the period whose latest orientation designates it),
--   rendus (of them, given back to the bailleur: RENDU_BAILLEUR),
--   decidees (attributions the CALEOL decided in the period, on a dwelling oriented to it),
--   decidees_rendues (of them, on a dwelling it gave back: the bailleur's candidate),
--   baux (leases signed in the period, whenever decided), sans_bail (decided in the period,
--   no lease signed by $arret: the household refused, or the lease is still to come),
--   mutations (decided in the period, an internal mutation: {{ regles/mutation_interne }}).
with {{ jauges/lignes }},
dispo as (
    select departement, destinataire, count(*) as mis_a_disposition,
           count(*) filter (where statut = 'RENDU_BAILLEUR') as rendus
    from lib
    where destinataire is not null
    group by all
),
att as (
    select log.departement, o.destinataire,
           coalesce(o.statut = 'RENDU_BAILLEUR', false) as rendue,
           coalesce(att.date_caleol between $debut and $arret, false) as decidee,
           coalesce(att.date_bail between $debut and $arret, false) as signee,
           att.date_bail is null or att.date_bail > $arret as sans_bail,
           {{ regles/mutation_interne }} as mutation
    from attribution att
    join log using (logement_id)
    left join orientation o using (orientation_id)
    where att.date_caleol between $debut and $arret
       or att.date_bail between $debut and $arret
),
agg as (
    select departement, destinataire,
           count(*) filter (where decidee) as decidees,
           count(*) filter (where decidee and rendue) as decidees_rendues,
           count(*) filter (where signee) as baux,
           count(*) filter (where decidee and sans_bail) as sans_bail,
           count(*) filter (where decidee and mutation) as mutations
    from att
    group by all
),
final as (
    select coalesce(d.departement, a.departement) as departement,
           coalesce(d.destinataire, a.destinataire) as destinataire, r.type,
           coalesce(d.mis_a_disposition, 0) as mis_a_disposition,
           coalesce(d.rendus, 0) as rendus,
           coalesce(a.decidees, 0) as decidees,
           coalesce(a.decidees_rendues, 0) as decidees_rendues,
           coalesce(a.baux, 0) as baux, coalesce(a.sans_bail, 0) as sans_bail,
           coalesce(a.mutations, 0) as mutations
    from dispo d
    full join agg a on a.departement = d.departement
                   and a.destinataire is not distinct from d.destinataire
    left join reservataire r on r.reservataire_id = coalesce(d.destinataire, a.destinataire)
)
select * from final order by departement, destinataire nulls last
