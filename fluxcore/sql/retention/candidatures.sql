-- Candidatures to purge. Without $identifiant (NULL): closed ones (every status but those
-- still to decide, $statuts_ouverts) whose decision (else proposal) is more than
-- $duree_candidatures months before $aujourdhui (0: never). With $identifiant: those of
-- that demande. In both cases, every candidature of a demande purged in the same pass
-- (retention/demandes): a candidature never outlives its demande.
-- $aujourdhui, $duree_candidatures, $duree_demandes, $statuts_ouverts, $identifiant.
-- Returns: candidature_id.
with purgees as (
    {{ retention/demandes }}
),
final as (
    select c.candidature_id
    from candidature c
    where (cast($identifiant as varchar) is null
           and cast($duree_candidatures as integer) > 0
           and not list_contains($statuts_ouverts, c.statut)
           and coalesce(c.date_decision, c.date_proposition)
               < cast($aujourdhui as date) - to_months(cast($duree_candidatures as integer)))
       or c.demande_id = cast($identifiant as varchar)
       or c.demande_id in (select demande_id from purgees)
)
select candidature_id from final
