-- The SNE's radiations against the product's attributions, one line per attribution or
-- radiation of year $annee in a territory (fluxcore.sne, docs/sne.md).
-- Parameters: $annee, $debut / $fin (1 January / 31 December), $dep, $epci, $commune,
--   $tolerance (days), $fenetre (days: farthest apart a radiation and a lease of the same
--   dwelling may be paired), $types / $type_contingents and $res_ids / $res_contingents (the
--   SNE contingent of each réservataire type, and of the réservataires set apart), $sirens
--   (the landlord's SIREN; empty: every radiation), $compte_rendu (a dwelling given back to
--   the bailleur still counts for its réservataire: setting rendu_bailleur_compte_livre).
-- Pairing, one to one: (1) the numéro unique recorded on the attribution; (2) then twice,
-- the same dwelling (RPLS id as the product's id or identifiant_rpls, or an id of up to 9
-- digits with one to three leading zeros put back) and the nearest dates, when each is the
-- other's nearest ({{ sne/paires_mutuelles }}). Only radiations for attribution of the
-- landlord's SIREN take part ({{ sne/radiations }}); attributions take part once their lease is
-- signed (date_bail), or when a radiation pairs with them (their CALEOL date then stands in).
-- The contingent expected of an attribution: {{ sne/contingent_attendu }}.
with {{ sne/contingents }},
{{ sne/radiations }},
rad0 as (
    select s.*, upper(trim(s.logement_rpls)) as cle
    from radiation s
    where s.pour_attribution and not s.autre_bailleur
      and s.date_radiation between cast($debut as date) - to_days(3 * cast($fenetre as integer))
                               and cast($fin as date) + to_days(3 * cast($fenetre as integer))
),
-- the dwelling a radiation names: its RPLS id as the product's id or identifiant_rpls, a
-- spreadsheet's lost leading zeros put back (« 800000001 » is 0800000001)
rad_cle as (
    select numero_unique, cle as essai, 0 as rang from rad0 where cle <> ''
    union all
    select numero_unique, repeat('0', z) || cle, z
    from rad0, range(1, 4) t(z)
    where regexp_full_match(cle, '[0-9]{1,9}')
),
rad_log as (
    select k.numero_unique,
           arg_min(struct_pack(logement_id := l.logement_id, residence_id := l.residence_id,
                               rpls := l.rpls),
                   struct_pack(r := k.rang, s := l.source, l := l.logement_id)) as trouve
    from rad_cle k
    join (select logement_id, residence_id, coalesce(identifiant_rpls, logement_id) as rpls,
                 logement_id as essai, 1 as source from logement
          union all
          select logement_id, residence_id, identifiant_rpls, upper(trim(identifiant_rpls)), 0
          from logement where identifiant_rpls is not null) l using (essai)
    group by k.numero_unique
),
rad as (
    select r.* rename (commune_insee as commune_fichier), rl.trouve.logement_id as logement_id,
           rl.trouve.rpls as rpls,
           res.departement, res.commune_insee, res.epci_siren
    from rad0 r
    left join rad_log rl using (numero_unique)
    left join residence res on res.residence_id = rl.trouve.residence_id
),
att as (
    select a.attribution_id, a.logement_id, coalesce(l.identifiant_rpls, l.logement_id) as rpls,
           a.numero_unique as nur, a.dalo, a.orientation_id,
           coalesce(a.date_bail, a.date_caleol) as date_outil, a.date_bail is not null as bail_signe,
           o.destinataire, o.statut, res.departement, res.commune_insee, res.epci_siren,
           {{ sne/contingent_attendu }} as contingent_outil,
           case when o.destinataire is null then null
                when ro.reservataire_id is null
                     or (o.statut = 'RENDU_BAILLEUR' and not $compte_rendu) then 'BAILLEUR'
                else ro.reservataire_id end as reservataire_outil
    from attribution a
    left join orientation o using (orientation_id)
    join logement l on l.logement_id = a.logement_id
    join residence res on res.residence_id = l.residence_id
    left join resa ro on ro.reservataire_id = o.destinataire
    where coalesce(a.date_bail, a.date_caleol)
          between cast($debut as date) - to_days(3 * cast($fenetre as integer))
              and cast($fin as date) + to_days(3 * cast($fenetre as integer))
),
-- (a numéro unique carried by several attributions: the one on the radiation's dwelling,
-- then with a signed lease, then the nearest date)
p1 as (
    select a.attribution_id, r.numero_unique
    from att a join rad r on r.numero_unique = a.nur
    qualify row_number() over (
        partition by r.numero_unique
        order by (a.logement_id = r.logement_id) desc nulls last, a.bail_signe desc,
                 abs(datediff('day', a.date_outil, r.date_radiation)), a.attribution_id) = 1
),
c2 as (
    select a.attribution_id, r.numero_unique,
           abs(datediff('day', a.date_outil, r.date_radiation)) as ecart
    from att a join rad r using (logement_id)
    where a.attribution_id not in (select attribution_id from p1)
      and r.numero_unique not in (select numero_unique from p1)
      and abs(datediff('day', a.date_outil, r.date_radiation)) <= $fenetre
),
-- each attribution's nearest radiation and each radiation's nearest attribution (ties: the
-- smaller id); a pair when both agree
p2 as (with c as (select * from c2) {{ sne/paires_mutuelles }}),
c3 as (
    select * from c2
    where attribution_id not in (select attribution_id from p2)
      and numero_unique not in (select numero_unique from p2)
),
p3 as (with c as (select * from c3) {{ sne/paires_mutuelles }}),
paires as (
    select * from p1 union all select * from p2 union all select * from p3
),
tout as (
    select attribution_id, numero_unique from paires
    union all
    select attribution_id, null from att
    where bail_signe and attribution_id not in (select attribution_id from paires)
    union all
    select null, numero_unique from rad
    where numero_unique not in (select numero_unique from paires)
),
detail as (
    select t.attribution_id, t.numero_unique,
           a.logement_id as logement_outil, a.date_outil, a.bail_signe, a.dalo as dalo_outil,
           a.orientation_id, a.destinataire, a.statut as statut_orientation,
           r.logement_rpls, r.logement_id as logement_sne, r.date_radiation,
           r.contingent is not null as contingent_renseigne,
           coalesce(r.contingent, 'NON_RESERVE') as contingent_sne, r.dalo as dalo_sne,
           r.accord_collectif, r.reservataire as reservataire_fichier,
           coalesce(a.logement_id, r.logement_id) as logement_id,
           coalesce(a.rpls, r.rpls) as rpls_outil,
           coalesce(a.departement, r.departement, rc.departement) as departement,
           coalesce(a.commune_insee, r.commune_insee, rc.code_insee) as commune_insee,
           coalesce(a.epci_siren, r.epci_siren, rc.epci_siren) as epci_siren,
           a.contingent_outil, a.reservataire_outil
    from tout t
    left join att a using (attribution_id)
    left join rad r using (numero_unique)
    left join ref_commune rc on r.logement_id is null and a.attribution_id is null
                            and rc.code_insee = r.commune_fichier
),
annee as (
    select *,
           coalesce(year(date_outil) = $annee, false) as compte_outil,
           coalesce(year(date_radiation) = $annee, false) as compte_sne
    from detail
    where (year(date_outil) = $annee or year(date_radiation) = $annee)
      and ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
      and ($commune is null or commune_insee = $commune)
),
cand as (
    select d.numero_unique, c.reservataire_id,
           case when c.perimetre is null then 2 when c.perimetre = d.epci_siren then 1
                else 0 end as portee
    from annee d
    join convention c on c.departement = d.departement
     and dans_perimetre(c.perimetre, d.commune_insee, d.epci_siren)
     and year(d.date_radiation) between c.annee_debut and c.annee_fin
    join resa s on s.reservataire_id = c.reservataire_id and s.contingent = d.contingent_sne
    where d.numero_unique is not null and d.contingent_sne <> 'NON_RESERVE'
),
unique_cand as (
    select numero_unique, min(reservataire_id) as reservataire_id,
           count(distinct reservataire_id) as n
    from (select * from cand qualify rank() over (partition by numero_unique order by portee) = 1)
    group by numero_unique
),
nomme as (
    select d.numero_unique, min(s.reservataire_id) as reservataire_id,
           count(distinct s.reservataire_id) as n
    from annee d
    join resa s on upper(trim(d.reservataire_fichier)) = upper(s.reservataire_id)
                or lower(strip_accents(trim(d.reservataire_fichier)))
                   = lower(strip_accents(trim(s.nom)))
    where d.reservataire_fichier is not null
    group by d.numero_unique
),
resolu as (
    select d.*,
           abs(datediff('day', d.date_outil, d.date_radiation)) as ecart_jours,
           case when d.numero_unique is null then null
                when d.contingent_sne = 'NON_RESERVE' then 'BAILLEUR'
                when n.n = 1 then n.reservataire_id
                when d.contingent_outil = d.contingent_sne and d.reservataire_outil <> 'BAILLEUR'
                     then d.reservataire_outil
                when u.n = 1 then u.reservataire_id
                else 'SNE:' || d.contingent_sne end as reservataire_sne
    from annee d
    left join nomme n using (numero_unique)
    left join unique_cand u using (numero_unique)
)
select *,
       attribution_id is not null and numero_unique is not null
           and contingent_outil is distinct from contingent_sne
           and contingent_outil is not null as contingent_different,
       coalesce(ecart_jours > $tolerance, false) as dates_eloignees,
       coalesce(year(date_outil) <> year(date_radiation), false) as autre_annee,
       coalesce(dalo_sne <> dalo_outil, false) as dalo_different,
       attribution_id is not null and numero_unique is not null and not bail_signe
           as bail_non_date,
       case when numero_unique is null then 'ABSENTE_DU_SNE'
            when attribution_id is null and logement_sne is null then 'LOGEMENT_INCONNU'
            when attribution_id is null then 'SANS_ATTRIBUTION'
            when logement_sne is distinct from logement_outil then 'LOGEMENT_DIFFERENT'
            when destinataire is null then 'SANS_ORIENTATION'
            when contingent_outil <> contingent_sne then 'CONTINGENT_DIFFERENT'
            when reservataire_outil <> reservataire_sne then 'RESERVATAIRE_DIFFERENT'
            when ecart_jours > $tolerance then 'DATES_ELOIGNEES'
            when year(date_outil) <> year(date_radiation) then 'AUTRE_ANNEE'
            when dalo_sne <> dalo_outil then 'DALO_DIFFERENT'
            when not bail_signe then 'BAIL_NON_DATE'
            else 'CONFORME' end as statut
from resolu
order by statut = 'CONFORME', departement, commune_insee, coalesce(date_outil, date_radiation),
         attribution_id, numero_unique
