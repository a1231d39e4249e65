from django.urls import path

from chatbot import apis

app_name = "chatbot"
urlpatterns = [
    path("chatbot/messages", apis.ChatbotMessagesApi.as_view(), name="messages"),
]
