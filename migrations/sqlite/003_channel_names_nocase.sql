-- Channel names are matched without regard to case, so two channels may not differ only by
-- case. NOCASE folds ASCII letters, as natter does (chat/channel_name.hpp).
CREATE UNIQUE INDEX channels_name_nocase_idx ON channels (name COLLATE NOCASE);
