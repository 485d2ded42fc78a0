-- Shared CTEs (included with {{ conventions/periodes }}): every convention with the days it is
-- in force and the territory it covers (docs/regles.md#conventions, #conversion, issue 22;
-- README « Conventions »).
-- No parameter: the setting garantie_duree_apres_pret_ans is read from the parametre table
-- (seeded in every base), so every query including this fragment follows it.
-- conv_periode: one row per convention: convention_id, reservataire_id, nom, type,
--   departement, perimetre (as given, else the territoire of a COMMUNE or EPCI réservataire),
--   localisee (false: a commune/EPCI convention with neither, which covers nothing),
--   taux_flux, garantie_emprunt, date_signature, fin_garantie (fin_pret + the setting's years
--   for a loan-guarantee convention, else NULL), debut (date_debut, else 1 January of
--   annee_debut), fin (date_fin, else 31 December of annee_fin; at the latest fin_garantie),
--   reprise (first day the préfet exercises the réservataire's rights, repris_par_prefet since
--   date_reprise; 1900-01-01 when no date is given; NULL when not taken back).
-- conv_unique: the localised conventions of conv_periode, one per réservataire × département
--   on any day (R441-5-3): where two overlap, the most recently signed applies (date_signature,
--   then convention_id); the older one ends the day before the newer one starts
--   (remplacee_par), or is dropped when the newer one starts first. fluxcore.check reports
--   every overlap as an error.
-- prefet_dep: the préfet (type PREFET, publics prioritaires; never PREFET_FONCTIONNAIRES) of
--   each département that exercises rights taken back: the one whose territoire is the
--   département, else one holding a convention there (prefet_id, prefet_nom).
-- Each CTE reads the one before it once: DuckDB binds a CTE again at every reference.
conv_periode as (
    select c.convention_id, c.reservataire_id, rv.nom, rv.type, c.departement,
           coalesce(c.perimetre, case when rv.type in {{ codes/types_territoriaux }}
                                      then rv.territoire end) as perimetre,
           c.perimetre is not null or rv.type not in {{ codes/types_territoriaux }}
               or rv.territoire is not null as localisee,
           c.taux_flux, c.garantie_emprunt, c.date_signature,
           case when c.garantie_emprunt and c.fin_pret is not null
                then cast(c.fin_pret + to_months(cast(round(12 * cast(g.valeur as double))
                                                      as integer)) as date)
           end as fin_garantie,
           coalesce(c.date_debut, make_date(c.annee_debut, 1, 1)) as debut,
           least(coalesce(c.date_fin, make_date(c.annee_fin, 12, 31)),
                 case when c.garantie_emprunt and c.fin_pret is not null
                      then cast(c.fin_pret + to_months(cast(round(12 * cast(g.valeur as double))
                                                           as integer)) as date)
                 end) as fin,
           case when rv.repris_par_prefet
                     and rv.type not in {{ codes/types_prefet }}
                then coalesce(rv.date_reprise, date '1900-01-01') end as reprise
    from convention c
    join reservataire rv using (reservataire_id)
    left join parametre g on g.cle = 'garantie_duree_apres_pret_ans'
),
conv_unique as (
    select * exclude (suivantes, chevauchantes)
             replace (least(fin, chevauchantes[1].debut - 1) as fin),
           chevauchantes[1].id as remplacee_par
    from (
        -- the conventions of the same réservataire × département signed after this one that
        -- overlap it, earliest start first
        select *, list_sort(list_transform(
                      list_filter(suivantes, lambda s: s.debut <= fin and debut <= s.fin),
                      lambda s: {'debut': s.debut, 'id': s.id})) as chevauchantes
        from (
            select *, list({'debut': debut, 'id': convention_id, 'fin': fin})
                          filter (where localisee and debut <= fin) over (
                          partition by reservataire_id, departement
                          order by coalesce(date_signature, date '1900-01-01'), convention_id
                          rows between 1 following and unbounded following) as suivantes
            from conv_periode))
    where localisee and least(fin, chevauchantes[1].debut - 1) >= debut
),
prefet_dep as (
    select departement,
           first(reservataire_id order by rang, reservataire_id) as prefet_id,
           first(nom order by rang, reservataire_id) as prefet_nom
    from (select r.territoire as departement, r.reservataire_id, r.nom, 0 as rang
          from reservataire r
          where r.type = 'PREFET' and r.territoire is not null
          union all
          select c.departement, r.reservataire_id, r.nom, 1 as rang
          from convention c
          join reservataire r using (reservataire_id)
          where r.type = 'PREFET')
    group by departement
)
