-- Expression, included as `{{ recherche/etat }} as etat` (aliases b = a dwelling's libération,
-- NULL when it never had one; o = the latest orientation of that libération, NULL when none):
-- where the dwelling stands on $aujourdhui.
--   attente: vacated by $aujourdhui and not oriented (as tableau_de_bord/vacants_en_attente);
--   preavis: notice given, vacated after $aujourdhui, not oriented yet;
--   orientee: an orientation is recorded (o.statut says how far it went);
--   occupe: never vacated.
case when b.liberation_id is null then 'occupe'
         when o.orientation_id is not null then 'orientee'
         when b.date_liberation <= cast($aujourdhui as date) then 'attente'
         else 'preavis' end
