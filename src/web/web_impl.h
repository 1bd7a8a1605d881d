/*
 * web/web_impl.h - every wing's header at once, while the files move into their wings
 */
#ifndef NEWSFLASH_WEB_IMPL_H
#define NEWSFLASH_WEB_IMPL_H

#include <jansson.h>

#include "news/news.h"
#include "store/store.h"
#include "web/http/http.h"
#include "web/public/public.h"
#include "web/api/api.h"
#include "web/newsroom/newsroom.h"
#include "web/app.h"

#endif
