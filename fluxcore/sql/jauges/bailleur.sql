-- Flux entered to date on a territory and what went to the bailleur and to internal uses.
-- Parameters: those of {{ jauges/lignes }}.
-- Returns one row: entres, entres_hors_qpv, bailleur, bailleur_attribues, internes.
with {{ jauges/lignes }},
final as (
    select
        (select count(*) from entree) as entres,
        (select count(*) from entree where not en_qpv) as entres_hors_qpv,
        (select count(*) from entree where destinataire = 'BAILLEUR') as bailleur,
        (select count(*) from entree where destinataire = 'BAILLEUR' and statut = 'ATTRIBUE')
            as bailleur_attribues,
        (select count(*) from lib where destinataire in {{ codes/soustraits }}) as internes
)
select * from final
