-- The year's libérations per destination, EPCI and category of each dimension of the bilan
-- (R441-5-1), with what became of them. Parameters: those of {{ jauges/lignes }} (the year
-- N-1, whole patrimoine or a territory) plus $bornes (first years of the construction-period
-- bands, ascending).
-- Returns: destinataire (réservataire id, internal use, BAILLEUR, NULL = not yet oriented),
--   departement, epci_siren, dimension (typologie, financement, qpv, commune, construction), categorie
--   (code: T3, PLUS, QPV/HORS_QPV, INSEE code, band index 0..n or INCONNUE), dans_flux,
--   logements, attribues, rendus, en_cours, prioritaires, dalo, q1, quartile_inconnu.
-- "attribues" = latest orientation with status ATTRIBUE; the household flags come from the
-- attribution recorded on that orientation (quartile as in the CIL objectives:
-- {{ regles/menage_q1 }}, the EPCI's threshold of the year).
with {{ jauges/lignes }},
att as (
    select att.orientation_id, att.prioritaire or att.dalo as prioritaire, att.dalo,
           {{ regles/menage_q1 }} as q1
    from attribution att
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren and s.annee = $annee
    where att.orientation_id is not null
    qualify row_number() over (partition by att.orientation_id
                               order by att.date_bail desc nulls last, att.attribution_id desc) = 1
),
l as (
    select lib.*, att.prioritaire, att.dalo, att.q1,
           coalesce(lib.destinataire, '') not in {{ codes/soustraits }}
               and ($premieres or not lib.premiere) as dans_flux,
           case when lib.annee_construction is not null
                then len(list_filter($bornes, lambda b: b <= lib.annee_construction)) end
               as periode
    from lib
    left join att using (orientation_id)
),
dims as (
    select destinataire, departement, epci_siren, dans_flux, statut, prioritaire, dalo, q1,
           unnest(['typologie', 'financement', 'qpv', 'commune', 'construction']) as dimension,
           unnest([typologie, financement, case when en_qpv then 'QPV' else 'HORS_QPV' end,
                   commune_insee, coalesce(periode::varchar, 'INCONNUE')]) as categorie
    from l
),
final as (
    select destinataire, departement, epci_siren, dimension, categorie, dans_flux,
           count(*) as logements,
           count(*) filter (where statut = 'ATTRIBUE') as attribues,
           count(*) filter (where statut = 'RENDU_BAILLEUR') as rendus,
           count(*) filter (where statut in {{ codes/statuts_en_cours }})
               as en_cours,
           count(*) filter (where statut = 'ATTRIBUE' and prioritaire) as prioritaires,
           count(*) filter (where statut = 'ATTRIBUE' and dalo) as dalo,
           count(*) filter (where statut = 'ATTRIBUE' and q1) as q1,
           count(*) filter (where statut = 'ATTRIBUE' and q1 is null) as quartile_inconnu
    from dims
    group by all
)
select * from final order by destinataire nulls last, departement, epci_siren, dimension, categorie
