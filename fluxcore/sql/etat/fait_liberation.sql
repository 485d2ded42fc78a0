-- Definition of fait_liberation (migration 009), one row per libération: what
-- fluxcore.etat maintains and what check recomputes. `$tous` true: every libération;
-- false: only those listed in `$ids`. Column order = the table's.
-- premiere: a first letting ({{ regles/premiere_location }}); the latest orientation: latest
-- date, then greatest id.
select b.liberation_id, b.logement_id, log.residence_id, b.date_liberation, b.motif,
       r.departement, r.commune_insee, r.epci_siren, r.en_qpv,
       log.typologie, log.financement, log.hors_flux_motif, log.date_mise_en_service,
       coalesce(r.annee_construction, year(log.date_mise_en_service)) as annee_construction,
       {{ regles/premiere_location }} as premiere,
       o.orientation_id, o.destinataire, o.statut, o.date_orientation
from liberation b
join logement log using (logement_id)
join residence r using (residence_id)
left join (
    select orientation_id, liberation_id, destinataire, statut, date_orientation
    from orientation
    where $tous or liberation_id in (select unnest($ids::varchar[]))
    qualify row_number() over (partition by liberation_id
                               order by date_orientation desc nulls last,
                                        orientation_id desc) = 1
) o using (liberation_id)
where $tous or b.liberation_id in (select unnest($ids::varchar[]))
