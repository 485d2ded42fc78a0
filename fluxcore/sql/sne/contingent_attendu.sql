-- Expression, included as `{{ sne/contingent_attendu }} as contingent` (aliases o = the
-- orientation of the attribution, NULL when none; ro = the `resa` row of {{ sne/contingents }}
-- for o.destinataire): the contingent the SNE should record for the attribution. The
-- bailleur's own destinations (codes.DESTINATIONS_BAILLEUR) are « non réservé », and so is a
-- dwelling given back to the bailleur unless it still counts for its réservataire
-- ($compte_rendu: setting rendu_bailleur_compte_livre); NULL without orientation.
case when o.destinataire is null then null
     when o.destinataire in {{ codes/destinations_bailleur }}
          or (o.statut = 'RENDU_BAILLEUR' and not $compte_rendu) then 'NON_RESERVE'
     when ro.reservataire_id is null then 'NON_RESERVE'
     else ro.contingent end
