-- one row per segment, every row weighted by w (scikit-learn's sample_weight)
{{ bqml_tools.evaluate(ref('predictions'), 'regression', 'y', prediction='y_hat', by='segment', weight='w') }}
