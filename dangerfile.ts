// The dangerfile `npm run demo` runs with `danger local`: the plugin as a project would use it.
// A project writes `import djangoStartup from "danger-plugin-django-startup"` instead.
import djangoStartup from "./dist";

declare function schedule(p: Promise<unknown>): void;

schedule(djangoStartup({ title: "Django startup guard (demo)" }));
