-- one row per segment, weighted by w, with the positive class named (label = 1)
{{ bqml_tools.evaluate(ref('predictions'), 'binary', 'label', score='score', positive=1, by=['segment'], weight='w') }}
