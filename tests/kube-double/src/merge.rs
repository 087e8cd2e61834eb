//! Patch arithmetic on JSON objects: JSON merge patch (RFC 7386) and the double's
//! server-side apply.

use serde_json::{Map, Value};

/// Keys that identify an item in a list of objects (a list-map), in order of preference:
/// ownerReferences by uid, conditions by type, most other lists by name.
const LIST_MAP_KEYS: &[&str] = &["uid", "type", "name", "pod"];

/// Applies an RFC 7386 merge patch: objects merge, `null` removes, anything else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Server-side apply of `applied` by one field manager onto `live`: fields this manager
/// applied last time (`previous`) and leaves out now are removed, then the applied fields
/// are merged in, lists of objects item by item (by uid, type or name), other lists and
/// scalars replaced. Field ownership between managers is not tracked: a forced apply.
pub(crate) fn server_side_apply(live: &mut Value, applied: &Value, previous: Option<&Value>) {
    if let Some(previous) = previous {
        remove_dropped(live, previous, applied);
    }
    merge_applied(live, applied);
}

fn remove_dropped(live: &mut Value, previous: &Value, applied: &Value) {
    match (live, previous, applied) {
        (Value::Object(live), Value::Object(previous), Value::Object(applied)) => {
            for (key, before) in previous {
                match applied.get(key) {
                    None => {
                        live.remove(key);
                    }
                    Some(now) => {
                        if let Some(live) = live.get_mut(key) {
                            remove_dropped(live, before, now);
                        }
                    }
                }
            }
        }
        (Value::Array(live), Value::Array(previous), Value::Array(applied)) => {
            let Some(key) = list_key(&[previous, applied]) else {
                return;
            };
            for before in previous {
                let id = &before[key];
                match applied.iter().find(|item| &item[key] == id) {
                    None => live.retain(|item| &item[key] != id),
                    Some(now) => {
                        if let Some(item) = live.iter_mut().find(|item| &item[key] == id) {
                            remove_dropped(item, before, now);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn merge_applied(live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(live), Value::Object(applied)) => {
            for (key, value) in applied {
                if value.is_null() {
                    live.remove(key);
                    continue;
                }
                match live.get_mut(key) {
                    Some(existing) => merge_applied(existing, value),
                    None => {
                        live.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(live), Value::Array(applied)) => {
            let Some(key) = list_key(&[live, applied]) else {
                live.clone_from(applied);
                return;
            };
            for item in applied {
                match live.iter_mut().find(|existing| existing[key] == item[key]) {
                    Some(existing) => merge_applied(existing, item),
                    None => live.push(item.clone()),
                }
            }
        }
        (live, applied) => *live = applied.clone(),
    }
}

/// The key by which the lists' items are identified, if every item is an object having it.
fn list_key(lists: &[&Vec<Value>]) -> Option<&'static str> {
    let mut items = lists.iter().flat_map(|l| l.iter()).peekable();
    items.peek()?;
    LIST_MAP_KEYS.iter().copied().find(|key| {
        lists.iter().flat_map(|l| l.iter()).all(|item| {
            item.get(key)
                .is_some_and(|v| !v.is_null() && !v.is_object())
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}, "l": [3]}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}, "l": [3]}));
    }

    #[test]
    fn apply_merges_list_maps_and_forgets_what_the_manager_dropped() {
        let mut live = json!({
            "metadata": {"labels": {"role": "member", "district": "a", "old": "x"}},
            "status": {"districts": [{"name": "a", "term": 4, "members": 2}], "conditions": [{"type": "Ready", "status": "False"}]}
        });
        let previous = json!({
            "metadata": {"labels": {"district": "a", "old": "x"}},
            "status": {"districts": [{"name": "a", "members": 2}, {"name": "b", "members": 1}]}
        });
        if let Some(districts) = live["status"]["districts"].as_array_mut() {
            districts.push(json!({"name": "b", "members": 1}));
        }
        let applied = json!({
            "metadata": {"labels": {"district": "c"}},
            "status": {"districts": [{"name": "a", "members": 3}], "conditions": [{"type": "Ready", "status": "True"}]}
        });
        server_side_apply(&mut live, &applied, Some(&previous));
        assert_eq!(
            live,
            json!({
                "metadata": {"labels": {"role": "member", "district": "c"}},
                "status": {"districts": [{"name": "a", "term": 4, "members": 3}], "conditions": [{"type": "Ready", "status": "True"}]}
            })
        );
    }
}
