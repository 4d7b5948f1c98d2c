#!/usr/bin/python3
"""The desktop services the end-to-end run needs on its private session bus (scripts/e2e runs everything under
dbus-run-session), standing in for a desktop's notification daemon and tray:

  desktop-services.py serve LOG
      Owns org.freedesktop.Notifications (Notify calls are appended to LOG, one JSON object a line:
      {"notification": {"app", "summary", "body"}}) and org.kde.StatusNotifierWatcher with a registered host, so
      libayatana-appindicator exports the app's tray item and its menu (registrations are appended as
      {"tray": {"bus", "path"}}). Prints "ready" once both names are owned.
  desktop-services.py menu BUS PATH
      Prints the tray item's menu as JSON: [{"id", "label", "enabled"}], read like a tray host reads it (the
      item's Menu property, then com.canonical.dbusmenu.GetLayout).
  desktop-services.py click BUS PATH LABEL
      Clicks the menu item with that label (com.canonical.dbusmenu.Event "clicked"), as a tray host does.

Needs PyGObject (Debian's python3-gi): run with the system python3.
"""
import json
import sys

from gi.repository import Gio, GLib

NOTIFICATIONS_XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/>
    </method>
  </interface>
</node>"""

WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>"""


def serve(log_path):
    log = open(log_path, "a", buffering=1)
    items = []
    next_id = [0]

    def record(entry):
        log.write(json.dumps(entry) + "\n")

    def on_notifications(conn, sender, path, iface, method, params, invocation):
        if method == "Notify":
            app, _replaces, _icon, summary, body = params.unpack()[:5]
            record({"notification": {"app": app, "summary": summary, "body": body}})
            next_id[0] += 1
            invocation.return_value(GLib.Variant("(u)", (next_id[0],)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("e2e", "tallyvault", "1", "1.2")))
        else:
            invocation.return_value(None)

    def on_watcher(conn, sender, path, iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            (service,) = params.unpack()
            # An item names its object path (libayatana-appindicator) or its bus name (the spec's default path).
            bus, item_path = (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
            items.append(bus + item_path)
            record({"tray": {"bus": bus, "path": item_path}})
            conn.emit_signal(None, path, iface, "StatusNotifierItemRegistered", GLib.Variant("(s)", (bus + item_path,)))
        invocation.return_value(None)

    def watcher_property(conn, sender, path, iface, name):
        return {
            "RegisteredStatusNotifierItems": GLib.Variant("as", items),
            "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
            "ProtocolVersion": GLib.Variant("i", 0),
        }[name]

    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    notifications = Gio.DBusNodeInfo.new_for_xml(NOTIFICATIONS_XML).interfaces[0]
    watcher = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML).interfaces[0]
    bus.register_object("/org/freedesktop/Notifications", notifications, on_notifications, None, None)
    bus.register_object("/StatusNotifierWatcher", watcher, on_watcher, watcher_property, None)
    owned = set()

    def acquired(_conn, name):
        owned.add(name)
        if len(owned) == 2:
            print("ready", flush=True)

    def lost(_conn, name):
        sys.exit(f"desktop-services: cannot own {name}")

    for name in ("org.freedesktop.Notifications", "org.kde.StatusNotifierWatcher"):
        Gio.bus_own_name_on_connection(bus, name, Gio.BusNameOwnerFlags.NONE, acquired, lost)
    GLib.MainLoop().run()


def call(bus, dest, path, iface, method, args, reply):
    return bus.call_sync(dest, path, iface, method, args, GLib.VariantType(reply), Gio.DBusCallFlags.NONE, 5000, None)


def menu_items(bus, dest, item_path):
    menu_path = call(
        bus, dest, item_path, "org.freedesktop.DBus.Properties", "Get",
        GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")), "(v)",
    ).unpack()[0]
    _revision, layout = call(
        bus, dest, menu_path, "com.canonical.dbusmenu", "GetLayout",
        GLib.Variant("(iias)", (0, -1, [])), "(u(ia{sv}av))",
    ).unpack()
    items = []

    def walk(node):
        item_id, props, children = node
        if "label" in props:
            items.append({"id": item_id, "label": props["label"], "enabled": props.get("enabled", True)})
        for child in children:
            walk(child)

    walk(layout)
    return menu_path, items


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "serve" and len(sys.argv) == 3:
        serve(sys.argv[2])
    elif command in ("menu", "click") and len(sys.argv) >= 4:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION)
        menu_path, items = menu_items(bus, sys.argv[2], sys.argv[3])
        if command == "menu":
            print(json.dumps(items))
            return
        label = sys.argv[4]
        matches = [i for i in items if i["label"] == label]
        if not matches:
            sys.exit(f"desktop-services: no menu item {label!r} in {[i['label'] for i in items]}")
        call(
            bus, sys.argv[2], menu_path, "com.canonical.dbusmenu", "Event",
            GLib.Variant("(isvu)", (matches[0]["id"], "clicked", GLib.Variant("i", 0), 0)), "()",
        )
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
