-- The dwelling of a libération, for the orientation card and ranking.
-- $liberation. Returns one row: liberation_id, date_conge, date_liberation, logement_id,
--   typologie, nb_pieces, surface_m2, financement, loyer_mensuel, etage, ascenseur,
--   accessible_pmr, hors_flux_motif, residence_id, residence, adresse, commune_insee, commune,
--   epci_siren, epci, departement, en_qpv, qpv_code, qpv, annee_construction,
--   orientation_id, destinataire, statut, decided_by, date_orientation (current orientation).
select b.liberation_id, b.date_conge, b.date_liberation, l.logement_id, l.typologie,
       l.nb_pieces, l.surface_m2, l.financement, l.loyer_mensuel, l.etage, l.ascenseur,
       l.accessible_pmr, l.hors_flux_motif, r.residence_id, r.nom as residence, r.adresse,
       r.commune_insee, coalesce(c.nom, r.commune_insee) as commune, r.epci_siren,
       coalesce(e.nom, r.epci_siren) as epci, r.departement, r.en_qpv, r.qpv_code,
       q.nom as qpv, r.annee_construction, o.orientation_id, o.destinataire, o.statut,
       o.decided_by, o.date_orientation
from liberation b
join logement l using (logement_id)
join residence r using (residence_id)
left join ref_commune c on c.code_insee = r.commune_insee
left join ref_epci e on e.epci_siren = r.epci_siren
left join ref_qpv q on q.qpv_code = r.qpv_code
left join (select * from orientation where liberation_id = $liberation
           order by date_orientation desc, orientation_id desc limit 1) o on true
where b.liberation_id = $liberation
