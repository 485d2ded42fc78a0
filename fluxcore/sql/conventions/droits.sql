-- Shared CTEs (included with {{ conventions/droits }}): who is owed a share of the flux on which
-- days of year $annee (docs/regles.md#conventions, issue 22). Includes {{ conventions/periodes }}
-- (conv_periode, conv_unique, prefet_dep).
-- droit: one line per right in force on some day of $annee:
--   - each convention of conv_unique as its réservataire's own right, from its first to its
--     last day within the year, ended the day before the préfet took the rights back;
--   - for each convention taken back, the préfet's line for its share from the reprise to the
--     convention's end: convention_id 'REPRISE-' || its id, the préfet's reservataire_id, nom
--     and type, the perimetre and taux_flux of the convention taken back, repris_de /
--     repris_de_nom = the réservataire taken back; never a loan guarantee of its own.
--   Columns: convention_id, reservataire_id, nom, type, departement, perimetre, taux_flux,
--   garantie_emprunt, date_signature, debut, fin (its days within the year), debut_convention,
--   fin_convention (the convention's own first and last day), fin_garantie, remplacee_par,
--   reprise, repris_de, repris_de_nom, doublon (a reprise line of a réservataire that also
--   holds a convention of its own there: its dwellings are already in that one's flux).
-- conv: the own lines of droit (repris_de NULL), without doublon.
{{ conventions/periodes }},
droit as materialized (
    select *, repris_de is not null and bool_or(repris_de is null) over (
                  partition by reservataire_id, departement) as doublon
    from (
        select case when l then 'REPRISE-' || convention_id else convention_id end
                   as convention_id,
               case when l then prefet_id else reservataire_id end as reservataire_id,
               case when l then prefet_nom else nom end as nom,
               case when l then 'PREFET' else type end as type,
               departement, perimetre, taux_flux, garantie_emprunt and not l as garantie_emprunt,
               date_signature,
               greatest(debut, make_date($annee, 1, 1),
                        case when l then reprise end) as debut,
               least(fin, make_date($annee, 12, 31),
                     case when not l then reprise - 1 end) as fin,
               debut as debut_convention, fin as fin_convention, fin_garantie, remplacee_par,
               reprise, case when l then reservataire_id end as repris_de,
               case when l then nom end as repris_de_nom
        from (
            select *, unnest(case when reprise is not null and prefet_id is not null
                                  then [false, true] else [false] end) as l
            from conv_unique
            left join prefet_dep using (departement)))
    where debut <= fin
),
conv as (
    select * exclude (doublon) from droit where repris_de is null
)
