-- The candidatures of one orientation, in the order they were proposed, with what the
-- CALEOL needs of each demande (pseudonymous: no name).
-- $orientation. Returns: candidature_id, demande_id, rang, date_proposition, propose_par,
--   origine, statut, date_decision, motif, modifie_le, taille_menage, typologie_souhaitee,
--   ressources_uc, nb_refus, statut_demande.
with final as (
    select c.candidature_id, c.demande_id, c.rang, c.date_proposition, c.propose_par,
           c.origine, c.statut, c.date_decision, c.motif, c.modifie_le, d.taille_menage,
           d.typologie_souhaitee, d.ressources_uc, d.nb_refus, d.statut as statut_demande
    from candidature c
    left join demande d using (demande_id)
    where c.orientation_id = $orientation
)
select * from final order by rang, date_proposition, candidature_id
