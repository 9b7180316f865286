//! Filter directives (`NARRATE_LOG`, `set_filter`, `filter = …`): never
//! panic; an error names a directive that is in the input; an accepted
//! filter written back as directives parses to the same filter.

use narrate::{Filter, Level};

pub fn check(data: &[u8]) {
    let Ok(spec) = std::str::from_utf8(data) else {
        return;
    };
    let filter = match Filter::parse(spec, Level::Info) {
        Ok(filter) => filter,
        Err(e) => {
            assert!(!e.directive.is_empty(), "empty directive for {spec:?}");
            assert!(spec.contains(&e.directive), "{e:?} not in {spec:?}");
            assert!(!e.reason.is_empty());
            return;
        }
    };
    let mut rendered = filter.default.as_str().to_owned();
    for d in &filter.directives {
        rendered.push(',');
        if let Some(path) = &d.path {
            rendered.push_str(path);
        }
        if let Some(action) = &d.action {
            rendered.push('[');
            rendered.push_str(action);
            rendered.push(']');
        }
        rendered.push('=');
        rendered.push_str(d.level.as_str());
    }
    assert_eq!(
        Filter::parse(&rendered, Level::Trace).as_ref(),
        Ok(&filter),
        "{spec:?} rendered as {rendered:?} parses differently"
    );
}
