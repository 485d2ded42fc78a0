-- Conventions in force in a département for a year, with their réservataire.
-- $dep, $annee. Returns: convention_id, reservataire_id, nom, type, perimetre, taux_flux,
--   garantie_emprunt, date_signature, derogation_fin, repris_par_prefet.
select c.convention_id, c.reservataire_id, r.nom, r.type, c.perimetre, c.taux_flux,
       c.garantie_emprunt, c.date_signature, c.derogation_fin, r.repris_par_prefet
from convention c
join reservataire r using (reservataire_id)
where c.departement = $dep
  and $annee between c.annee_debut and c.annee_fin
order by c.perimetre nulls first, c.taux_flux desc, c.reservataire_id
