# SimpleAdminConfig does not autodiscover: never imported at setup.
from django.contrib import admin

from posts.models import Post

admin.site.register(Post)
