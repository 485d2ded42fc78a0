-- 007_sne: the national register (SNE) against the landlord's orientations (docs/sne.md).
-- At a radiation for attribution the landlord records in the SNE, at the signature of the
-- lease (arrêté du 25 novembre 2010, cahier des charges §6.2 as rewritten by the arrêté du
-- 17 septembre 2012; R441-2-9): its SIREN, the date, whether the household already rented
-- from it, the dwelling's RPLS identifier, whether the attribution falls under the accord
-- collectif, the DALO status (optional) and the contingent the attribution is charged to.
-- radiation_sne holds those radiations as the landlord extracts them, one per demande
-- (numéro unique); the reconciliation (fluxcore.sne) pairs them with the attributions.
-- A dwelling whose product id is not its RPLS id may carry it (logement.identifiant_rpls);
-- an attribution may carry the numéro unique of the demande it satisfied.

create table radiation_sne (
    numero_unique     varchar primary key,
    date_radiation    date not null,
    logement_rpls     varchar,
    contingent        varchar check (contingent in ('ETAT_PRIORITAIRES', 'ETAT_FONCTIONNAIRES',
                          'COLLECTIVITES', 'EMPLOYEURS', 'AUTRES', 'NON_RESERVE')),
    dalo              boolean,
    accord_collectif  boolean,
    mutation          boolean,
    reservataire      varchar,
    commune_insee     varchar,
    siren_bailleur    varchar,
    motif_radiation   varchar
);

alter table logement add column identifiant_rpls varchar;
alter table attribution add column numero_unique varchar;
