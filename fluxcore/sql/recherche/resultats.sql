-- What the sidebar search finds (fluxcore.recherche.rechercher): demandes, dwellings and
-- résidences. Parameters, all bound:
--   $texte: the trimmed text; an identifier (demande, logement, libération, résidence)
--     matches when it starts with it, case ignored;
--   $mots: its words; a résidence matches when each word appears, accents and case ignored,
--     in its name, address or commune name; its dwellings whose latest libération awaits an
--     orientation or is being oriented come with it;
--   $aujourdhui, $limite.
-- Every branch stops at $limite rows under the final order, so the final $limite rows are
-- exact without computing every match.
-- Returns: type (demande, logement, residence), identifiant, ordre (0 identifier typed in
--   full, 1 identifier's start, 2 words), residence_id, residence, adresse, commune (name),
--   logements (a résidence's count), typologie (the dwelling's, or the one a demande asks),
--   liberation_id, date_liberation, etat ({{ recherche/etat }}), statut (a demande's, or the
--   latest orientation's), destinataire (the orientation's destination, its name); ordered
--   by ordre, then identifiers by type, words by commune and résidence (each résidence
--   followed by its dwellings).
with saisie as (
    select lower($texte) as t,
           [strip_accents(lower(m)) for m in $mots::varchar[]] as mots
),
res as (
    select r.residence_id, r.nom as residence, r.adresse,
           coalesce(c.nom, r.commune_insee) as commune
    from residence r
    left join ref_commune c on c.code_insee = r.commune_insee
),
-- identifiers --------------------------------------------------------------------------------
dem_id as (
    select d.demande_id, if(lower(d.demande_id) = s.t, 0, 1) as ordre
    from demande d, saisie s
    where starts_with(lower(d.demande_id), s.t)
    order by ordre, d.demande_id limit $limite
),
log_id as (
    select l.logement_id, null::varchar as liberation_id, if(lower(l.logement_id) = s.t, 0, 1)
           as ordre
    from logement l, saisie s
    where starts_with(lower(l.logement_id), s.t)
    order by ordre, l.logement_id limit $limite
),
lib_id as (
    select b.logement_id, b.liberation_id, if(lower(b.liberation_id) = s.t, 0, 1) as ordre
    from liberation b, saisie s
    where starts_with(lower(b.liberation_id), s.t)
    order by ordre, b.liberation_id limit $limite
),
res_id as (
    select r.residence_id, if(lower(r.residence_id) = s.t, 0, 1) as ordre
    from residence r, saisie s
    where starts_with(lower(r.residence_id), s.t)
    order by ordre, r.residence_id limit $limite
),
-- words ----------------------------------------------------------------------------------------
res_mots as (
    -- the text naming the commune or the résidence exactly comes first (« reims »: Reims
    -- before Cernay-lès-Reims)
    select res.residence_id,
           if(replace(array_to_string(s.mots, ' '), '-', ' ')
              in (replace(strip_accents(lower(res.commune)), '-', ' '),
                  replace(strip_accents(lower(res.residence)), '-', ' ')), '0', '1')
           || strip_accents(lower(res.commune || ' ' || res.residence || ' '))
           || res.residence_id as tri
    from res, saisie s
    where len(s.mots) > 0
      and list_bool_and([contains(strip_accents(lower(concat_ws(' ', res.residence,
                                                                res.adresse, res.commune))), m)
                         for m in s.mots])
    order by tri limit $limite
),
ouverts as (
    -- the dwellings of those résidences whose latest libération is open
    select l.logement_id, b.liberation_id, m.tri
    from res_mots m
    join logement l using (residence_id)
    join liberation b using (logement_id)
    left join orientation o using (liberation_id)
    qualify row_number() over (partition by l.logement_id
                               order by b.date_liberation desc, b.liberation_id desc,
                                        o.date_orientation desc, o.orientation_id desc) = 1
        and (o.orientation_id is null and b.date_liberation <= cast($aujourdhui as date)
             or o.statut in {{ codes/statuts_en_cours }})
),
log_mots as (
    select * from ouverts order by tri, logement_id limit $limite
),
-- dwellings: the libération typed, else the latest one, with its latest orientation --------
log_id_lib as (
    select i.logement_id, b.liberation_id, i.ordre
    from log_id i
    left join liberation b using (logement_id)
    qualify row_number() over (partition by i.logement_id
                               order by b.date_liberation desc, b.liberation_id desc) = 1
),
log_tous as (
    select logement_id, liberation_id, ordre, null::varchar as tri from log_id_lib
    union all select logement_id, liberation_id, ordre, null from lib_id
    union all select logement_id, liberation_id, 2, tri from log_mots
),
logements as (
    select 'logement' as type, t.logement_id as identifiant, t.ordre, t.tri, 1 as sous,
           l.residence_id, l.typologie, b.liberation_id, b.date_liberation,
           {{ recherche/etat }} as etat,
           o.statut, coalesce(rv.nom, o.destinataire) as destinataire
    from log_tous t
    join logement l using (logement_id)
    left join liberation b on b.liberation_id = t.liberation_id
    left join orientation o on o.liberation_id = t.liberation_id
    left join reservataire rv on rv.reservataire_id = o.destinataire
    qualify row_number() over (partition by t.logement_id, t.liberation_id, t.ordre
                               order by o.date_orientation desc, o.orientation_id desc) = 1
),
residences as (
    select 'residence' as type, residence_id as identifiant, ordre, null as tri, 0 as sous,
           residence_id
    from res_id
    union all
    select 'residence', residence_id, 2, tri, 0, residence_id from res_mots
),
demandes as (
    select 'demande' as type, d.demande_id as identifiant, i.ordre, d.typologie_souhaitee,
           coalesce(c.nom, d.commune_souhaitee) as commune, d.statut
    from dem_id i
    join demande d using (demande_id)
    left join ref_commune c on c.code_insee = d.commune_souhaitee
),
trouve as (
    select r.type, r.identifiant, r.ordre, r.tri, r.sous, r.residence_id,
           null::varchar as typologie, null::varchar as liberation_id,
           null::date as date_liberation, null::varchar as etat, null::varchar as statut,
           null::varchar as destinataire
    from residences r
    union all
    select type, identifiant, ordre, tri, sous, residence_id, typologie, liberation_id,
           date_liberation, etat, statut, destinataire
    from logements
),
tous as (
    select t.type, t.identifiant, t.ordre, t.residence_id, x.residence, x.adresse,
           x.commune, if(t.type = 'residence', coalesce(n.logements, 0), null) as logements,
           t.typologie, t.liberation_id, t.date_liberation, t.etat,
           t.statut, t.destinataire, t.tri, t.sous
    from trouve t
    join res x using (residence_id)
    left join (select residence_id, count(*) as logements from logement
               where residence_id in (select residence_id from residences) group by all) n
         on n.residence_id = t.residence_id
    union all
    select type, identifiant, ordre, null, null, null, commune, null, typologie_souhaitee,
           null, null, null, statut, null, null, 0
    from demandes
),
final as (
    select * from tous
    qualify row_number() over (partition by type, identifiant order by ordre) = 1
)
select * exclude (tri, sous) from final
order by ordre, if(ordre < 2, type, ''), tri nulls last, sous, identifiant
limit $limite
