-- per segment, the highest threshold whose recall is at least 0.8, with every binary metric there
{{ bqml_tools.threshold(ref('predictions'), 'label', 'score', 'recall>=0.8', by='segment') }}
