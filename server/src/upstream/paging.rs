//! Walking the pages of a search by whatever the answers offer (pure).
//!
//! Nothing public says how `POST /users/search` is paged, so the [`Pager`] takes each answer as
//! it comes: it follows `links.next` when there is one (a page URL or a cursor, on the API's
//! own host only), else `meta.current_page`/`last_page`, else asks for the next page number
//! until one comes back empty or shorter than the longest so far. It stops, with a warning, when
//! a page repeats the previous one or a link comes round again, and fails past a row limit
//! rather than read without end.

use std::collections::HashSet;

use url::Url;

use super::UpstreamError;
use super::decode::SearchPage;

/// What to ask for after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// POST the same search to this URL (from `links.next`).
    Link(Url),
    /// POST the same search with `?page=` this number.
    Page(u64),
    /// No more pages.
    Done(End),
}

/// Why a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The answer said so (`links.next` null, or the last page by `meta`).
    Last,
    /// An empty page, or one shorter than the longest before it.
    Short,
    /// The page repeated the previous one (the platform ignored the page asked for).
    Repeated,
    /// A `links.next` that was followed already.
    Loop,
}

/// The state of one walk through a search's pages.
#[derive(Debug)]
pub struct Pager {
    base: Url,
    page: u64,
    rows: usize,
    limit: usize,
    longest: usize,
    previous: Vec<u64>,
    followed: HashSet<String>,
}

impl Pager {
    /// A walk over the API at `base`, reading at most `limit` rows.
    pub fn new(base: Url, limit: usize) -> Self {
        Self {
            base,
            page: 1,
            rows: 0,
            limit,
            longest: 0,
            previous: Vec::new(),
            followed: HashSet::new(),
        }
    }

    /// Rows read so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// What to ask for after `page` (the answer to the last request).
    ///
    /// # Errors
    /// [`UpstreamError::ScanLimit`] past the row limit; [`UpstreamError::Malformed`] for a
    /// `links.next` that is not a URL on the API's own host.
    pub fn after(&mut self, page: &SearchPage) -> Result<Next, UpstreamError> {
        let ids = page.users.iter().map(|u| u.id).collect();
        self.after_ids(page, ids)
    }

    /// [`Pager::after`] for a page of any rows (`page.users` unused): `ids` are its rows' ids,
    /// to see a page that repeats the previous one.
    ///
    /// # Errors
    /// As [`Pager::after`].
    pub fn after_ids(&mut self, page: &SearchPage, ids: Vec<u64>) -> Result<Next, UpstreamError> {
        self.rows += page.rows;
        if !ids.is_empty() && ids == self.previous {
            tracing::warn!(
                page = self.page,
                "a search page repeated the previous one; stopping there"
            );
            return Ok(Next::Done(End::Repeated));
        }
        if self.rows > self.limit {
            return Err(UpstreamError::ScanLimit(self.limit));
        }
        self.previous = ids;
        if page.rows == 0 {
            return Ok(Next::Done(End::Short));
        }
        let longest_before = self.longest;
        self.longest = self.longest.max(page.rows);
        if let Some(link) = &page.next_link {
            let url = self.same_host(link)?;
            if !self.followed.insert(url.as_str().to_owned()) {
                tracing::warn!("links.next came round again; stopping there");
                return Ok(Next::Done(End::Loop));
            }
            self.page += 1;
            return Ok(Next::Link(url));
        }
        if page.has_links {
            // A links object whose next is null: this was the last page.
            return Ok(Next::Done(End::Last));
        }
        if let (Some(current), Some(last)) = (page.current_page, page.last_page) {
            if current >= last {
                return Ok(Next::Done(End::Last));
            }
            self.page = current + 1;
            return Ok(Next::Page(self.page));
        }
        if page.rows < longest_before {
            return Ok(Next::Done(End::Short));
        }
        self.page += 1;
        Ok(Next::Page(self.page))
    }

    /// `link` resolved against the API base, if it stays on the API's own scheme, host and
    /// port: the key goes with every request, and must go nowhere else.
    fn same_host(&self, link: &str) -> Result<Url, UpstreamError> {
        let url = self
            .base
            .join(link)
            .map_err(|_| UpstreamError::Malformed("links.next is not a URL"))?;
        let same = url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default();
        if same {
            Ok(url)
        } else {
            Err(UpstreamError::Malformed(
                "links.next points at another host",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::decode::PlatformUser;

    fn base() -> Url {
        Url::parse("https://api.example/api/v2/").unwrap()
    }

    fn page(ids: std::ops::Range<u64>) -> SearchPage {
        let users: Vec<PlatformUser> = ids
            .map(|id| PlatformUser {
                id,
                ..PlatformUser::default()
            })
            .collect();
        SearchPage {
            rows: users.len(),
            users,
            ..SearchPage::default()
        }
    }

    #[test]
    fn links_next_is_followed_on_the_same_host_only() {
        let mut pager = Pager::new(base(), 1000);
        let mut first = page(1..26);
        first.has_links = true;
        first.next_link = Some("/api/v2/users/search?cursor=abc".into());
        assert_eq!(
            pager.after(&first).unwrap(),
            Next::Link(Url::parse("https://api.example/api/v2/users/search?cursor=abc").unwrap())
        );
        let mut evil = page(26..51);
        evil.next_link = Some("https://evil.example/steal".into());
        assert!(matches!(
            pager.after(&evil),
            Err(UpstreamError::Malformed(_))
        ));
        let mut last = page(26..30);
        last.has_links = true;
        assert_eq!(pager.after(&last).unwrap(), Next::Done(End::Last));
    }

    #[test]
    fn a_link_seen_before_ends_the_walk() {
        let mut pager = Pager::new(base(), 1000);
        let mut one = page(1..3);
        one.next_link = Some("https://api.example/api/v2/users/search?page=2".into());
        pager.after(&one).unwrap();
        let mut two = page(3..5);
        two.next_link = one.next_link.clone();
        assert_eq!(pager.after(&two).unwrap(), Next::Done(End::Loop));
    }

    #[test]
    fn meta_pages_are_followed_to_the_last() {
        let mut pager = Pager::new(base(), 1000);
        let mut one = page(1..26);
        (one.current_page, one.last_page) = (Some(1), Some(3));
        assert_eq!(pager.after(&one).unwrap(), Next::Page(2));
        let mut three = page(51..60);
        (three.current_page, three.last_page) = (Some(3), Some(3));
        assert_eq!(pager.after(&three).unwrap(), Next::Done(End::Last));
    }

    #[test]
    fn without_paging_information_it_asks_until_a_short_or_empty_page() {
        let mut pager = Pager::new(base(), 1000);
        // The first page is 25 long whatever per_page was asked: the platform's own size.
        assert_eq!(pager.after(&page(1..26)).unwrap(), Next::Page(2));
        assert_eq!(pager.after(&page(26..51)).unwrap(), Next::Page(3));
        assert_eq!(pager.after(&page(51..60)).unwrap(), Next::Done(End::Short));
        let mut exact = Pager::new(base(), 1000);
        exact.after(&page(1..26)).unwrap();
        assert_eq!(exact.after(&page(26..26)).unwrap(), Next::Done(End::Short));
    }

    #[test]
    fn a_page_that_repeats_the_previous_one_ends_the_walk() {
        let mut pager = Pager::new(base(), 1000);
        pager.after(&page(1..26)).unwrap();
        assert_eq!(
            pager.after(&page(1..26)).unwrap(),
            Next::Done(End::Repeated)
        );
    }

    #[test]
    fn rows_without_a_usable_id_still_count_toward_the_page_size() {
        let mut pager = Pager::new(base(), 1000);
        let mut first = page(1..25);
        first.rows = 25; // one row was not a user
        assert_eq!(pager.after(&first).unwrap(), Next::Page(2));
        let mut second = page(25..49);
        second.rows = 25;
        assert_eq!(pager.after(&second).unwrap(), Next::Page(3), "not short");
    }

    #[test]
    fn reading_past_the_row_limit_fails() {
        let mut pager = Pager::new(base(), 40);
        pager.after(&page(1..26)).unwrap();
        assert_eq!(
            pager.after(&page(26..51)),
            Err(UpstreamError::ScanLimit(40))
        );
    }
}
