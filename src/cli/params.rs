//! Command-line flags made from the library's parameter descriptions ([`crate::analysis::spec`]): every
//! parameter `name` of a request is the flag `--name` with dashes, with the description's help and value name, and
//! its text is read by the request's own [`Params::set`], so the command line and the server accept and refuse the
//! same values with the same words.

use crate::analysis::spec::{Params, SpecError};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

/// A request of type `P`, read from its flags.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecArgs<P>(pub P);

impl<P> std::ops::Deref for SpecArgs<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.0
    }
}

/// The flag of a parameter: `cell_m` is `--cell-m`.
pub fn flag(parameter: &str) -> String {
    format!("--{}", parameter.replace('_', "-"))
}

/// A parameter error in the command line's words.
pub fn flag_error(e: &SpecError) -> String {
    if e.value.is_empty() {
        format!("{}: {}", flag(&e.parameter), e.problem)
    } else {
        format!("{} {}: {}", flag(&e.parameter), e.value, e.problem)
    }
}

impl<P: Params> FromArgMatches for SpecArgs<P> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut s = SpecArgs(P::default());
        s.update_from_arg_matches(m)?;
        Ok(s)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        let invalid = |e: SpecError| clap::Error::raw(clap::error::ErrorKind::ValueValidation, flag_error(&e) + "\n");
        for d in P::docs() {
            let Ok(Some(values)) = m.try_get_many::<String>(d.name) else { continue };
            for v in values {
                self.0.set(d.name, v).map_err(invalid)?;
            }
        }
        self.0.check().map_err(invalid)
    }
}

impl<P: Params> Args for SpecArgs<P> {
    fn augment_args(cmd: Command) -> Command {
        let mut cmd = cmd;
        for d in P::docs() {
            let arg = Arg::new(d.name)
                .long(d.name.replace('_', "-"))
                .value_name(d.value)
                .help(d.help)
                .help_heading(d.group)
                .allow_negative_numbers(true)
                .action(if d.repeated { ArgAction::Append } else { ArgAction::Set });
            cmd = cmd.arg(arg);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::spec::HotspotSpec;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        spec: SpecArgs<HotspotSpec>,
    }

    #[test]
    fn flags_fill_the_request_and_errors_name_the_flag() {
        let t = T::try_parse_from(["t", "--cell-m", "50", "--category", "Drugs", "--category", "Burglary"]).unwrap();
        assert_eq!(t.spec.analysis.cell_m, Some(50.0));
        assert_eq!(t.spec.analysis.query.categories, vec!["Burglary", "Drugs"]);
        let e = T::try_parse_from(["t", "--cell-m", "-5"]).unwrap_err().to_string();
        assert!(e.contains("--cell-m -5: give a distance from 1 to 100000 metres"), "{e}");
        let e = T::try_parse_from(["t", "--top-share", "2"]).unwrap_err().to_string();
        assert!(e.contains("--top-share 2"), "{e}");
        assert_eq!(T::try_parse_from(["t"]).unwrap().spec.0, HotspotSpec::default());
    }
}
