//! `compose.yaml` checked without running it (no registry image can be pulled here): parsed, and
//! held to what the image, the server and the several-instances guide say. Two instances of
//! this image share one Redis and one PostgreSQL; they set only variables the server knows
//! (as the image's own `--help` lists them); the key comes from a secret file; the instances
//! run as the image's user on a read-only root, publish on loopback only, and get the drain
//! plus the request timeout to stop; Redis and PostgreSQL publish nothing. Then a Compose
//! implementation reads it (`docker compose config`).

use serde_json::Value;

use super::{Engine, Image, USER, tag};
use crate::{Result, fail, root};

/// Variables the server reads that are not its settings: the log filter and the CA bundle.
const OTHER_VARIABLES: [&str; 2] = ["RUST_LOG", "SSL_CERT_FILE"];

/// The longest request the server finishes after the drain (`REQUEST_TIMEOUT` of
/// `server/src/router.rs`), in seconds.
const REQUEST_TIMEOUT_SECS: u64 = 15;

/// Checks `compose.yaml` against `image` (whose `--help` names the server's settings).
///
/// # Errors
/// The first rule the file breaks.
pub fn check(engine: &Engine, image: &Image) -> Result<()> {
    let help = engine.output(&["run", "--rm", "--network", "none", &image.tag, "--help"])?;
    let known = settings(&help);
    if known.len() < 20 {
        return fail(format!(
            "found only {} settings in the image's --help: {known:?}",
            known.len()
        ));
    }
    let text = std::fs::read_to_string(root().join("compose.yaml"))?;
    let compose: Value = serde_norway::from_str(&text)
        .map_err(|e| format!("compose.yaml is not valid YAML: {e}"))?;
    let problems = problems(&compose, &known);
    if !problems.is_empty() {
        return fail(format!("compose.yaml:\n  {}", problems.join("\n  ")));
    }
    validate(engine, &text)?;
    eprintln!(
        "  compose.yaml: two instances of {}, Redis and PostgreSQL",
        tag()
    );
    Ok(())
}

/// `docker compose config --quiet` (the CLI's plugin when it has one, else Debian's
/// `docker-compose`): a Compose implementation reads the file as `docker compose up` would,
/// with placeholders for the variables the file requires (`${NAME:?...}`).
fn validate(engine: &Engine, text: &str) -> Result<()> {
    let plugin = engine
        .docker()
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut command = if plugin {
        let mut command = engine.docker();
        command.arg("compose");
        command
    } else {
        crate::cmd("docker-compose")
    };
    command.args(["--file", "compose.yaml", "config", "--quiet"]);
    for required in text.split("${").skip(1) {
        if let Some((name, _)) = required.split_once(":?") {
            command.env(name, "placeholder-of-32-bytes-or-more-0123456789");
        }
    }
    crate::run(&mut command).map_err(|e| format!("compose.yaml: {e}").into())
}

/// The variables `--help` names (`[env: NAME=...]` or `[env: NAME]`).
fn settings(help: &str) -> Vec<String> {
    help.split("[env: ")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// Every rule `compose` breaks, as a sentence each.
fn problems(compose: &Value, known: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(services) = compose["services"].as_object() else {
        return vec!["has no services".to_owned()];
    };
    let by_image = |prefix: &str| -> Vec<&String> {
        services
            .iter()
            .filter(|(_, s)| s["image"].as_str().is_some_and(|i| i.starts_with(prefix)))
            .map(|(name, _)| name)
            .collect()
    };
    let backends = by_image(&tag());
    let (redis, postgres) = (by_image("redis:"), by_image("postgres:"));
    if backends.len() != 2 || redis.len() != 1 || postgres.len() != 1 {
        problems.push(format!(
            "expected two services of image {}, one redis:* and one postgres:*; found {backends:?}, \
             {redis:?}, {postgres:?}",
            tag()
        ));
        return problems;
    }
    for name in &backends {
        let service = &services[name.as_str()];
        let mut say = |what: String| problems.push(format!("{name}: {what}"));
        let env = &service["environment"];
        let Some(vars) = env.as_object() else {
            say("environment is not a map of variables".to_owned());
            continue;
        };
        for variable in vars.keys() {
            if !known.contains(variable) && !OTHER_VARIABLES.contains(&variable.as_str()) {
                say(format!("{variable} is not a setting of the server"));
            }
        }
        let host_of = |variable: &str, scheme: &str| {
            env[variable]
                .as_str()
                .and_then(|url| url.strip_prefix(scheme))
                .and_then(|rest| rest.rsplit_once('@').map_or(Some(rest), |(_, h)| Some(h)))
                .and_then(|host| host.split([':', '/']).next())
                .map(str::to_owned)
        };
        if host_of("DASHBOARD_DB", "postgres://").as_ref() != Some(postgres[0]) {
            say(format!(
                "DASHBOARD_DB must be postgres://...@{}",
                postgres[0]
            ));
        }
        if host_of("DASHBOARD_REDIS_URL", "redis://").as_ref() != Some(redis[0]) {
            say(format!("DASHBOARD_REDIS_URL must be redis://{}", redis[0]));
        }
        for (variable, why) in [
            (
                "REFERRAL_FACTORY_API_KEY",
                "the key comes from a secret file",
            ),
            (
                "DASHBOARD_SANDBOX",
                "one sandbox per instance shares nothing",
            ),
            (
                "REFERRAL_FACTORY_API_URL",
                "the platform's own URL is the default",
            ),
        ] {
            if env.get(variable).is_some() {
                say(format!("{variable} must not be set: {why}"));
            }
        }
        let key_file = env["REFERRAL_FACTORY_API_KEY_FILE"]
            .as_str()
            .unwrap_or_default();
        let secret = key_file.strip_prefix("/run/secrets/").unwrap_or_default();
        let listed = service["secrets"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == secret));
        if secret.is_empty() || !listed || compose["secrets"].get(secret).is_none() {
            say("REFERRAL_FACTORY_API_KEY_FILE must name a secret of the service".to_owned());
        }
        if env
            .get("BIND")
            .is_some_and(|b| b.as_str() != Some("0.0.0.0"))
        {
            say("BIND must stay 0.0.0.0 (the image's) to be reachable".to_owned());
        }
        if service["user"] != USER || service["read_only"] != true {
            say(format!("must run as {USER} with read_only: true"));
        }
        if service.get("healthcheck").is_some() {
            say("has a healthcheck: the image has no shell or client to run one".to_owned());
        }
        let ports = service["ports"].as_array().cloned().unwrap_or_default();
        let loopback = |p: &Value| p.as_str().is_some_and(|p| p.starts_with("127.0.0.1:"));
        if ports.is_empty() || !ports.iter().all(loopback) {
            say("must publish its port on 127.0.0.1 only (the proxy is in front)".to_owned());
        }
        for dependency in [redis[0], postgres[0]] {
            if service["depends_on"][dependency]["condition"] != "service_healthy" {
                say(format!("must wait for {dependency} to be healthy"));
            }
        }
        let drain = env["DASHBOARD_DRAIN_SECS"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5);
        let grace = service["stop_grace_period"]
            .as_str()
            .and_then(|s| s.strip_suffix('s'))
            .and_then(|s| s.parse::<u64>().ok());
        if grace.is_none_or(|g| g < drain + REQUEST_TIMEOUT_SECS) {
            say(format!(
                "stop_grace_period must be at least the drain plus {REQUEST_TIMEOUT_SECS} s \
                 ({}s), in seconds",
                drain + REQUEST_TIMEOUT_SECS
            ));
        }
    }
    for name in [redis[0], postgres[0]] {
        if services[name.as_str()].get("ports").is_some() {
            problems.push(format!(
                "{name}: must publish no port (private to the instances)"
            ));
        }
    }
    let command = services[redis[0].as_str()]["command"].to_string();
    if !command.contains("noeviction") {
        problems.push(format!(
            "{}: must run with --maxmemory-policy noeviction",
            redis[0]
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        let help = "  --db <DASHBOARD_DB>  [env: DASHBOARD_DB=]\n  [env: DASHBOARD_REDIS_URL]\n \
                    [env: REFERRAL_FACTORY_API_KEY_FILE=] [env: REFERRAL_FACTORY_CAMPAIGN_ID=]\n \
                    [env: DASHBOARD_JWT_SECRET=] [env: LOG_FORMAT=] [env: DASHBOARD_DRAIN_SECS=]";
        settings(help)
    }

    fn repository_compose() -> Value {
        let text = std::fs::read_to_string(root().join("compose.yaml")).unwrap();
        serde_norway::from_str(&text).unwrap()
    }

    #[test]
    fn settings_are_read_from_help() {
        assert_eq!(known()[..2], ["DASHBOARD_DB", "DASHBOARD_REDIS_URL"]);
    }

    #[test]
    fn the_repository_compose_file_keeps_the_rules() {
        assert_eq!(
            problems(&repository_compose(), &known()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_unknown_variable_a_root_user_and_a_public_redis_are_refused() {
        let mut compose = repository_compose();
        compose["services"]["backend-1"]["environment"]["DASHBOARD_DB_URL"] = "x".into();
        compose["services"]["backend-2"]["user"] = "0".into();
        compose["services"]["redis"]["ports"] = serde_json::json!(["6379:6379"]);
        let problems = problems(&compose, &known());
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("DASHBOARD_DB_URL is not a setting"));
        assert!(problems[1].contains("must run as 65532:65532"));
        assert!(problems[2].contains("redis: must publish no port"));
    }
}
