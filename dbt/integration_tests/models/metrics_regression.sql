-- the regression metrics of the predictions (one row): the CLI's bqml-tools evaluate --task regression
{{ bqml_tools.evaluate(ref('predictions'), 'regression', 'y', prediction='y_hat') }}
