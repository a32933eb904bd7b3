import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")
os.environ.setdefault("CASETRACKER_WEB", "true")  # the web's statement and lock timeouts, see settings
application = get_wsgi_application()
