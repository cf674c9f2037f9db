-- every event with its split (train 80% / valid 10% / test 10%) by FARM_FINGERPRINT of id
{{ bqml_tools.split(ref('events'), 'id') }}
