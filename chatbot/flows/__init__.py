"""One module per guided flow; :mod:`chatbot.dialogue` routes each message to one of them."""
