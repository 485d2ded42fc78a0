-- The dwellings of the year oriented to one réservataire in the territory (to $arret), with
-- their outcome; no household data (what the réservataire itself may see). Parameters: those
-- of {{ jauges/lignes }} plus $reservataire.
-- Returns: liberation_id, logement_id, date_liberation, commune_insee, commune, typologie,
--   financement, en_qpv, statut (ORIENTE, ATTRIBUE, RENDU_BAILLEUR…), date_caleol, date_bail.
with {{ jauges/lignes }},
final as (
    select l.liberation_id, l.logement_id, l.date_liberation, l.commune_insee,
           coalesce(c.nom, l.commune_insee) as commune, l.typologie, l.financement, l.en_qpv,
           l.statut, a.date_caleol, a.date_bail
    from lib l
    left join ref_commune c on c.code_insee = l.commune_insee
    left join attribution a on a.orientation_id = l.orientation_id
    where l.destinataire = $reservataire
    qualify row_number() over (partition by l.liberation_id
                               order by a.date_bail desc nulls last) = 1
)
select * from final order by date_liberation desc, liberation_id
