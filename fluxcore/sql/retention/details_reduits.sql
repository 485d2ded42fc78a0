-- Expression, included in retention/journal and retention/purger_journal: what the details of
-- an audit row become once past their retention. An orientation keeps its dwelling, its
-- destination and its rank (not its free-text justification or motif); a row of the life of
-- an orientation (suivi, attribution, avis) keeps the orientation it belongs to (not the
-- demandes, households or sentences); any other action loses its details (NULL). Actions
-- whose details never cite a person are left out beforehand ($actions_conservees).
case
    when not coalesce(json_valid(details), false) then null
    when action = 'orientation.create' then json_object(
        'liberation_id', json_extract(details, '$.liberation_id'),
        'destinataire', json_extract(details, '$.destinataire'),
        'rang', json_extract(details, '$.rang'),
        'premier', json_extract(details, '$.premier'))::varchar
    when action = 'orientation.correct' then json_object(
        'avant', json_extract(details, '$.avant'),
        'apres', json_extract(details, '$.apres'))::varchar
    when json_extract(details, '$.orientation_id') is not null then json_object(
        'orientation_id', json_extract(details, '$.orientation_id'))::varchar
end
