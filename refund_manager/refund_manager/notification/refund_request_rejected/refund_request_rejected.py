def get_context(context):
	# the message template needs nothing beyond `doc`
	pass
